import { KinesisServiceException } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { createSdkDebugLogger, redact, redactText } from '../../src/aws/debug-log.js';

describe('redact', () => {
  it('replaces secret-looking keys at any depth and keeps the rest', () => {
    const out = redact({
      credentials: { accessKeyId: 'AKIDX', secretAccessKey: 'shh' },
      request: { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDX/...', 'x-amz-security-token': 'tok', host: 'kinesis' } },
      input: { StreamName: 'orders', NextToken: 'page-2', SessionToken: 'tok', TokenCode: '123456' },
      list: [{ SecretAccessKey: 'shh' }],
    });
    expect(out).toEqual({
      credentials: '[REDACTED]',
      request: { headers: { authorization: '[REDACTED]', 'x-amz-security-token': '[REDACTED]', host: 'kinesis' } },
      input: { StreamName: 'orders', NextToken: 'page-2', SessionToken: '[REDACTED]', TokenCode: '[REDACTED]' },
      list: [{ SecretAccessKey: '[REDACTED]' }],
    });
  });

  it('scrubs secrets inside strings', () => {
    const text = redactText(
      'key AKIAABCDEFGHIJKLMNOP url https://x/?X-Amz-Signature=abc123&X-Amz-Security-Token=tok&a=1 ' +
        'Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=deadbeef ' +
        'aws_secret_access_key = s3cret {"sessionToken":"tok2"} Bearer abc.def',
    );
    for (const secret of ['AKIAABCDEFGHIJKLMNOP', 'abc123', 'tok&', 'AKID/2024', 'deadbeef', 's3cret', 'tok2', 'abc.def']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('a=1');
    expect(text).toContain('SignedHeaders=host');
  });

  it('keeps the name, message, code and request id of SDK errors', () => {
    const error = new KinesisServiceException({
      name: 'ResourceNotFoundException',
      message: 'Stream orders under account 111111111111 not found.',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'req-9' },
    });
    const out = redact({ error }) as { error: Record<string, unknown> };
    expect(out.error.name).toBe('ResourceNotFoundException');
    expect(out.error.message).toContain('not found');
    expect(out.error.$metadata).toMatchObject({ requestId: 'req-9' });
  });

  it('survives cycles, binary payloads and dates', () => {
    const node: Record<string, unknown> = { Data: new Uint8Array(5), at: new Date(0) };
    node.self = node;
    expect(redact(node)).toEqual({ Data: '[5 bytes]', at: '1970-01-01T00:00:00.000Z', self: '[circular]' });
  });
});

describe('createSdkDebugLogger', () => {
  it('writes one redacted line per SDK request or error, and drops the SDK\'s own debug chatter', () => {
    const lines: string[] = [];
    const logger = createSdkDebugLogger((line) => lines.push(line));
    logger.info({
      clientName: 'KinesisClient',
      commandName: 'PutRecordCommand',
      input: { StreamName: 'orders' },
      metadata: { requestId: 'req-1', attempts: 1 },
      credentials: { secretAccessKey: 'shh' },
    });
    logger.error('using key AKIAABCDEFGHIJKLMNOP');
    logger.debug('Not found in ENV: ENV_USE_FIPS_ENDPOINT');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[aws info\] /);
    expect(lines[0]).toContain('req-1');
    expect(lines[0]).toContain('PutRecordCommand');
    expect(lines.join('\n')).not.toMatch(/shh|AKIAABCDEFGHIJKLMNOP/);
  });
});
