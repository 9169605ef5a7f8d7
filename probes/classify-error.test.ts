import { describe, expect, it } from 'vitest';
import { classifyError } from './engine.ts';

function h2StreamError(code: string): Error {
  return Object.assign(new Error(`Stream closed with error code ${code}`), { code: 'ERR_HTTP2_STREAM_ERROR' });
}

const HINT = ' (the server reset the stream, or its response headers were beyond what Node’s HTTP/2 reads: 128 fields, 64 KiB)';

describe('classifyError: HTTP/2 stream resets', () => {
  it('says why a stream may close with ENHANCE_YOUR_CALM', () => {
    expect(classifyError(h2StreamError('NGHTTP2_ENHANCE_YOUR_CALM'), false)).toEqual({
      outcome: 'reset',
      message: `ERR_HTTP2_STREAM_ERROR: Stream closed with error code NGHTTP2_ENHANCE_YOUR_CALM${HINT}`,
    });
  });

  // Node rejects a header block over its limits with RST_STREAM(ENHANCE_YOUR_CALM) and returns
  // NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE, on which nghttp2 resets the stream with INTERNAL_ERROR.
  // Which of the two the stream closes with depends on whether a write of the session was in
  // flight at that moment (Node queues its own reset then): under load it is INTERNAL_ERROR.
  it('gives the same hint for INTERNAL_ERROR, the code the same rejection closes with when a write is in flight', () => {
    expect(classifyError(h2StreamError('NGHTTP2_INTERNAL_ERROR'), false)).toEqual({
      outcome: 'reset',
      message: `ERR_HTTP2_STREAM_ERROR: Stream closed with error code NGHTTP2_INTERNAL_ERROR${HINT}`,
    });
  });

  it('gives no hint for other codes', () => {
    expect(classifyError(h2StreamError('NGHTTP2_REFUSED_STREAM'), false).message).toBe('ERR_HTTP2_STREAM_ERROR: Stream closed with error code NGHTTP2_REFUSED_STREAM');
  });
});
