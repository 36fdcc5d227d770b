import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { MiddlewareStack, Pluggable, SerializeHandler, SerializeHandlerArguments, SerializeHandlerOutput, SerializeMiddleware } from '@aws-sdk/types';
import type { AwsClients } from '../aws/session.js';

/** One SDK call as the model sees it: which client and command, the input, and who sent it where. */
export interface SdkCall {
  /** As the SDK names it in the handler context, e.g. `KinesisClient`. */
  clientName: string;
  /** e.g. `CreateStreamCommand`. */
  commandName: string;
  input: unknown;
  accessKeyId: string;
  region: string;
}

/** Answers an SDK call with the command's output (including `$metadata`), or throws the service's error. */
export type SdkCallHandler = (call: SdkCall) => Promise<object>;

/** What every attached client has in common: a middleware stack and a `send`. */
export interface SdkClient {
  middlewareStack: MiddlewareStack<any, any>;
  send(...args: any[]): Promise<unknown>;
}

const MIDDLEWARE_NAME = 'fakeCloudDispatch';
// The key @smithy/types calls SMITHY_CONTEXT_KEY: where httpAuthSchemeMiddleware leaves the identity it resolved.
const SMITHY_CONTEXT = '__smithy_context';

interface ResolvedAuth {
  selectedHttpAuthScheme?: { identity?: { accessKeyId?: string }; httpAuthOption?: { signingProperties?: { region?: string } } };
}

/**
 * The middleware that answers a call from the model instead of sending it. It sits right after
 * httpAuthSchemeMiddleware, which has resolved the client's credentials and region by then, and before
 * endpoint resolution, serialisation, retries, signing and the request handler, none of which run. So an
 * attached client never opens a socket, and the SDK's own retries do not run: a throttling error reaches the
 * caller on its first attempt, so the product's own retries are what gets exercised.
 */
function dispatchMiddleware(current: () => SdkCallHandler | undefined): SerializeMiddleware<any, any> {
  return (next: SerializeHandler<any, any>, context) =>
    async (args: SerializeHandlerArguments<any>): Promise<SerializeHandlerOutput<any>> => {
      const handler = current();
      if (!handler) return next(args);
      const auth = (context as Record<string, unknown>)[SMITHY_CONTEXT] as ResolvedAuth | undefined;
      const accessKeyId = auth?.selectedHttpAuthScheme?.identity?.accessKeyId;
      const region = auth?.selectedHttpAuthScheme?.httpAuthOption?.signingProperties?.region;
      if (accessKeyId === undefined || region === undefined) {
        throw new Error(`FakeCloud: the SDK resolved no credentials or region for ${context.clientName}.${context.commandName}; an attached client needs both.`);
      }
      const output = await handler({ clientName: context.clientName ?? '', commandName: context.commandName ?? '', input: args.input, accessKeyId, region });
      return { output: output as SerializeHandlerOutput<any>['output'], response: {} };
    };
}

function dispatchPlugin(current: () => SdkCallHandler | undefined): Pluggable<any, any> {
  return {
    applyToStack(stack) {
      stack.addRelativeTo(dispatchMiddleware(current), { name: MIDDLEWARE_NAME, relation: 'after', toMiddleware: 'httpAuthSchemeMiddleware', override: true });
    },
  };
}

/** Clients that already carry the dispatch middleware, from `attachClient` or from an installed cloud. */
const wired = new WeakSet<object>();

/** Sends every call of this client instance to `handle`. Attaching again replaces the earlier handler. */
export function attachClient<C extends SdkClient>(client: C, handle: SdkCallHandler): C {
  client.middlewareStack.use(dispatchPlugin(() => handle));
  wired.add(client);
  return client;
}

let installed: { handle: SdkCallHandler; token: object } | undefined;

/**
 * Sends the calls of every instance of these client classes, existing or future, to `handle` until the
 * returned function is called. The latest install wins, so a test that forgot to restore does not break the next.
 * Each class gets an own `send` that attaches the dispatch middleware on a client's first call; the
 * middleware asks which handler is installed at call time, and lets the call through when none is.
 */
export function installOnClientClasses(classes: ReadonlyArray<new (config: any) => unknown>, handle: SdkCallHandler): () => void {
  const token = {};
  installed = { handle, token };
  for (const cls of classes) {
    const proto = cls.prototype as unknown as SdkClient;
    if (Object.prototype.hasOwnProperty.call(proto, 'send')) continue;
    const inherited = proto.send;
    Object.defineProperty(proto, 'send', {
      configurable: true,
      writable: true,
      value: function send(this: SdkClient, ...args: unknown[]) {
        if (!wired.has(this)) {
          this.middlewareStack.use(dispatchPlugin(() => installed?.handle));
          wired.add(this);
        }
        return inherited.apply(this, args);
      },
    });
  }
  return () => {
    if (installed?.token !== token) return;
    installed = undefined;
    for (const cls of classes) delete (cls.prototype as unknown as Partial<SdkClient>).send;
  };
}

/** A request handler for clients that must never reach the network: being called at all is a bug. */
const refusingRequestHandler = {
  handle(): never {
    throw new Error('FakeCloud: an attached SDK client tried to send an HTTP request. Nothing may leave this machine.');
  },
};

/**
 * The clients of one account in one region, attached to `handle`, with credentials that name the
 * account and a request handler that refuses, so that nothing can reach AWS even if the middleware were
 * bypassed. The sandbox's session factory gives these to the steps.
 */
export function attachedClients(handle: SdkCallHandler, config: { region: string; credentials: { accessKeyId: string; secretAccessKey: string } }): AwsClients {
  const common = { region: config.region, credentials: config.credentials, requestHandler: refusingRequestHandler, maxAttempts: 1 };
  return {
    sts: attachClient(new STSClient(common), handle),
    kinesis: attachClient(new KinesisClient(common), handle),
    kms: attachClient(new KMSClient(common), handle),
    iam: attachClient(new IAMClient(common), handle),
    lambda: attachClient(new LambdaClient(common), handle),
    logs: attachClient(new CloudWatchLogsClient(common), handle),
    sqs: attachClient(new SQSClient(common), handle),
    // The sandbox ships its models of SNS and S3, so their SDKs are loaded with it already.
    destinations: {
      sns: async () => attachClient(new SNSClient(common), handle),
      s3: async () => attachClient(new S3Client(common), handle),
    },
    cloudwatch: async () => attachClient(new CloudWatchClient(common), handle),
  };
}
