// Imported first by run.ts: the SDK warns about Node 20 when its clients load, which would clutter the report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
