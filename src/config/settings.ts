// Every operator setting, once: its flag (also its TOML key, log-go's name and
// section where the concept is the same), its type, its default, its group
// in --help, and its help text. Typed settings for each command are derived
// from this table, so a node gets numbers and booleans, not strings.
export type Kind =
  'string' | 'path' | 'duration' | 'int' | 'bool' | 'level' | 'role' | 'endpoint' | 'url' | 'format' | 'hex32';
export type Group = 'node' | 'primary' | 'witnesses' | 'limits' | 'failover' | 'secondary' | 'logging' | 'command';

export interface SettingDef {
  /** Flag name without "--", also the TOML key. */
  readonly flag: string;
  readonly kind: Kind;
  /** TOML table: undefined = top level, or "primary" / "secondary" as in log-go. */
  readonly section?: 'primary' | 'secondary';
  readonly default?: string | number | boolean;
  readonly group: Group;
  readonly help: string;
  readonly short?: string;
  /** Repeatable; the value is a list. */
  readonly multiple?: boolean;
  /** A duration or integer that may be 0 (off). */
  readonly allowZero?: boolean;
  /** The largest integer accepted (each thread, answer or held request costs memory). */
  readonly max?: number;
  /** Only as a flag: refused in a config file (it must not persist across restarts). */
  readonly flagOnly?: boolean;
}

export const SETTINGS = {
  role: { flag: 'role', kind: 'role', default: 'primary', group: 'node', help: 'primary or secondary' },
  dataDir: { flag: 'data-dir', kind: 'path', group: 'node', help: 'directory holding the log database (log.db)' },
  keyFile: {
    flag: 'key-file',
    kind: 'path',
    group: 'node',
    help: "primary: the log's key; secondary: its own key. An OpenSSH private key, or a public key whose private half is in the ssh-agent at SSH_AUTH_SOCK",
  },
  externalEndpoint: {
    flag: 'external-endpoint',
    kind: 'endpoint',
    default: 'localhost:6965',
    group: 'node',
    help: 'public API listen address',
  },
  internalEndpoint: {
    flag: 'internal-endpoint',
    kind: 'endpoint',
    default: 'localhost:6967',
    group: 'node',
    help: 'internal API listen address: replication, /metrics, /health',
  },
  urlPrefix: { flag: 'url-prefix', kind: 'string', default: '', group: 'node', help: 'path prefix of every endpoint' },
  interval: {
    flag: 'interval',
    kind: 'duration',
    group: 'node',
    help: 'primary: how often a grown tree is signed (default 1s); secondary: poll period once caught up (default 250ms)',
  },
  resignInterval: {
    flag: 'resign-interval',
    kind: 'duration',
    default: '10s',
    group: 'node',
    help: 'longest time an unchanged tree head goes without a new signature',
  },
  timeout: {
    flag: 'timeout',
    kind: 'duration',
    default: '2s',
    group: 'node',
    help: 'deadline of each request to another log node',
  },
  scrubRate: {
    flag: 'scrub-rate',
    kind: 'int',
    default: 500,
    group: 'node',
    help: 'leaves per second the background scrubber re-verifies (0: off)',
  },
  initIfMissing: {
    flag: 'init-if-missing',
    kind: 'bool',
    group: 'node',
    help: 'first run: create the key file and an empty log, only if the key file does not exist yet',
  },

  maxRange: {
    flag: 'max-range',
    kind: 'int',
    max: 65536,
    section: 'primary',
    default: 512,
    group: 'primary',
    help: 'most leaves returned by one get-leaves request',
  },
  secondaryUrl: {
    flag: 'secondary-url',
    kind: 'url',
    section: 'primary',
    multiple: true,
    group: 'primary',
    help: "a secondary's internal URL with its prefix; repeat, paired in order with --secondary-pubkey-file (config: [[primary.secondary]] url, pubkey-file)",
  },
  secondaryPubkeyFile: {
    flag: 'secondary-pubkey-file',
    kind: 'path',
    section: 'primary',
    multiple: true,
    group: 'primary',
    help: "a secondary's public key, one per --secondary-url",
  },
  replicationQuorum: {
    flag: 'replication-quorum',
    kind: 'int',
    section: 'primary',
    group: 'primary',
    help: 'secondaries that must hold a leaf before it is signed (default: all)',
  },
  addLeafWait: {
    flag: 'add-leaf-wait',
    kind: 'duration',
    section: 'primary',
    allowZero: true,
    group: 'primary',
    help: 'hold a repeated add-leaf for a pending leaf until it is published, at most this long (0: 202 at once, as log-go; default: interval + 1s)',
  },
  addLeafMaxHeld: {
    flag: 'add-leaf-max-held',
    kind: 'int',
    max: 65536,
    section: 'primary',
    default: 256,
    group: 'primary',
    help: 'most add-leaf requests held at once',
  },
  workers: {
    flag: 'workers',
    kind: 'int',
    max: 64,
    section: 'primary',
    allowZero: true,
    group: 'primary',
    help: "threads that verify add-leaf signatures with libsodium; default: the machine's cores - 1, at least 1; 0: OpenSSL on Node's thread pool",
  },

  policyFile: {
    flag: 'policy-file',
    kind: 'path',
    section: 'primary',
    group: 'witnesses',
    help: 'sigsum policy: the witnesses (those with a URL cosign every tree head) and the quorum a head needs to be published',
  },
  witnessTimeout: {
    flag: 'witness-timeout',
    kind: 'duration',
    section: 'primary',
    default: '5s',
    group: 'witnesses',
    help: 'deadline of each request to a witness',
  },
  publishWithoutQuorum: {
    flag: 'publish-without-quorum',
    kind: 'bool',
    section: 'primary',
    group: 'witnesses',
    help: "publish every signed head at once, adding cosignatures as they arrive (log-go's behaviour)",
  },

  rateLimitFile: {
    flag: 'rate-limit-file',
    kind: 'path',
    section: 'primary',
    group: 'limits',
    help: "rate limits per submitter key, token domain and public suffix (log-go's format)",
  },
  allowTestDomain: {
    flag: 'allow-test-domain',
    kind: 'bool',
    section: 'primary',
    group: 'limits',
    help: 'with rate limits: accept tokens for test.sigsum.org, whose key is public',
  },

  promote: {
    flag: 'promote',
    kind: 'bool',
    flagOnly: true,
    group: 'failover',
    help: "make this secondary the log's primary, after asking the other secondaries, the witnesses and the old primary that nobody knows more (needs the log key as --key-file)",
  },
  oldPrimaryUrl: {
    flag: 'old-primary-url',
    kind: 'url',
    flagOnly: true,
    multiple: true,
    group: 'failover',
    help: "with --promote: the old primary's URLs (public or internal); promotion is refused while it answers",
  },
  forcePromote: {
    flag: 'force-promote',
    kind: 'bool',
    flagOnly: true,
    group: 'failover',
    help: "with --promote: promote although the other sources' answers refuse it (you established the log's size and root by other means); needs --expect-size and --expect-root",
  },
  expectSize: {
    flag: 'expect-size',
    kind: 'int',
    flagOnly: true,
    allowZero: true,
    group: 'failover',
    help: "with --force-promote: the replica's size, which must be exactly this",
  },
  expectRoot: {
    flag: 'expect-root',
    kind: 'hex32',
    flagOnly: true,
    group: 'failover',
    help: "with --force-promote: the replica's root hash at --expect-size (hex)",
  },

  primaryUrl: {
    flag: 'primary-url',
    kind: 'url',
    section: 'secondary',
    group: 'secondary',
    help: "the primary's internal URL with its prefix",
  },
  logPubkeyFile: {
    flag: 'log-pubkey-file',
    kind: 'path',
    section: 'secondary',
    group: 'secondary',
    help: "the log's public key, which signs the tree heads a secondary checks",
  },
  logUrl: {
    flag: 'log-url',
    kind: 'url',
    section: 'secondary',
    group: 'secondary',
    help: "the log's public URL; needed only to follow a log-go primary",
  },

  logLevel: {
    flag: 'log-level',
    kind: 'level',
    default: 'info',
    group: 'logging',
    help: 'debug, info, warning or error (SIGUSR1 toggles debug)',
  },
  logFile: {
    flag: 'log-file',
    kind: 'path',
    group: 'logging',
    help: 'write log lines to this file (appended) instead of stderr',
  },
  logFormat: {
    flag: 'log-format',
    kind: 'format',
    default: 'text',
    group: 'logging',
    help: 'text, or json (one JSON object per line)',
  },

  output: { flag: 'output', kind: 'path', short: 'o', group: 'command', help: 'where to write' },
} as const satisfies Record<string, SettingDef>;

export type SettingKey = keyof typeof SETTINGS;

interface KindTypes {
  string: string;
  path: string;
  duration: number;
  int: number;
  bool: boolean;
  level: 'debug' | 'info' | 'warning' | 'error';
  role: 'primary' | 'secondary';
  endpoint: string;
  url: string;
  format: 'text' | 'json';
  hex32: string;
}

type ValueOf<D extends SettingDef> = D extends { multiple: true }
  ? KindTypes[D['kind']][]
  : D extends { default: unknown }
    ? KindTypes[D['kind']]
    : D['kind'] extends 'bool'
      ? boolean
      : KindTypes[D['kind']] | undefined;

/** Typed settings of a command that takes the settings K. */
export type Settings<K extends SettingKey> = { [P in K]: ValueOf<(typeof SETTINGS)[P]> };

/** Which settings each command takes. */
export const COMMAND_SETTINGS = {
  serve: [
    'role',
    'dataDir',
    'keyFile',
    'externalEndpoint',
    'internalEndpoint',
    'urlPrefix',
    'interval',
    'resignInterval',
    'timeout',
    'scrubRate',
    'initIfMissing',
    'maxRange',
    'secondaryUrl',
    'secondaryPubkeyFile',
    'replicationQuorum',
    'addLeafWait',
    'addLeafMaxHeld',
    'workers',
    'policyFile',
    'witnessTimeout',
    'publishWithoutQuorum',
    'rateLimitFile',
    'allowTestDomain',
    'promote',
    'oldPrimaryUrl',
    'forcePromote',
    'expectSize',
    'expectRoot',
    'primaryUrl',
    'logPubkeyFile',
    'logUrl',
    'logLevel',
    'logFile',
    'logFormat',
  ],
  init: ['role', 'dataDir', 'keyFile', 'logPubkeyFile'],
  keygen: ['output'],
  status: ['dataDir'],
  verify: ['dataDir', 'keyFile'],
  backup: ['dataDir', 'output'],
} as const satisfies Record<string, readonly SettingKey[]>;

export type Command = keyof typeof COMMAND_SETTINGS;
export type CommandSettings<C extends Command> = Settings<(typeof COMMAND_SETTINGS)[C][number]>;

/** Settings that only a primary (or only a secondary) takes: naming one for the other role is an error. */
export const PRIMARY_ONLY: readonly SettingKey[] = [
  'maxRange',
  'secondaryUrl',
  'secondaryPubkeyFile',
  'replicationQuorum',
  'addLeafWait',
  'addLeafMaxHeld',
  'workers',
  'policyFile',
  'witnessTimeout',
  'publishWithoutQuorum',
  'rateLimitFile',
  'allowTestDomain',
  'promote',
  'oldPrimaryUrl',
  'forcePromote',
  'expectSize',
  'expectRoot',
];
export const SECONDARY_ONLY: readonly SettingKey[] = ['primaryUrl', 'logPubkeyFile', 'logUrl'];

/** Keys log-go accepts that have no meaning here, with the reason. */
export const LOG_GO_ONLY: Record<string, string> = {
  'trillian-rpc-server': 'sigsum-log keeps its tree in --data-dir, there is no Trillian',
  backend: 'sigsum-log always stores the tree in SQLite under --data-dir',
  'trillian-tree-id-file': 'sigsum-log keeps its tree in --data-dir, there is no Trillian',
  'sth-file': 'sigsum-log stores signed tree heads in the database under --data-dir',
};
