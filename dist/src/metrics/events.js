export const noEvents = {
    batchCommitted() { },
    tokenFailed() { },
    rateLimited() { },
    witnessRequest() { },
    witnessQuorum() { },
};
