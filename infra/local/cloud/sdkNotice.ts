/**
 * Imported first by every command-line entry point (npm start, dlq, bootstrap):
 * silences the AWS SDK's notice that its 2027 releases need Node 22 (our SDK is
 * pinned in the lockfile and runs on Node 20). The SDK reads the variable when the
 * first client is created; children started from here inherit it.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
