/**
 * The Versioning and deprecation guide: the version in the path, what may change within it,
 * how deprecated operations announce themselves (RFC 9745 `Deprecation`, RFC 8594 `Sunset`),
 * and which operations are deprecated now (from the contract).
 * @module
 */
import { blocks, code, list, table } from '../format.js';
import { operationLink, type Guide, type GuideContext } from './context.js';

export const versioning: Guide = {
  slug: 'versioning',
  title: 'Versioning and deprecation',
  summary: 'The major version in the path, which changes are additive and which need a new version, and how deprecated operations announce their sunset.',
  body(ctx: GuideContext): string {
    const { model, document } = ctx;
    const prefixes = [...new Set(model.operations.map((op) => /^\/[^/]+/.exec(op.path)?.[0] ?? '/'))];
    const current = prefixes[0] ?? '/v1';
    const next = /^\/v(\d+)$/.exec(current) ? `/v${Number(current.slice(2)) + 1}` : `${current}-next`;
    const deprecated = model.operations.filter((op) => op.deprecated);
    const servers = (document.servers ?? []) as { url: string; description?: string }[];

    return blocks(
      `This is version ${code(model.version)} of the ${model.title}. The major version is part of every path: ` + `${list(prefixes.map((p) => code(p)))}.`,
      servers.length > 0 &&
        table(
          ['Server', 'Use'],
          servers.map((s) => [code(s.url), s.description ?? '']),
        ),
      '## What changes within a version',
      [
        `Additive changes ship in ${code(current)} without notice, so clients must tolerate them:`,
        '',
        '- new operations, new optional request fields and parameters;',
        '- new response fields (ignore members you do not know);',
        '- new error codes (handle an unknown `code` by its HTTP status and `retryable`);',
        '- new values of fields documented as open-ended, and higher limits.',
        '',
        `Anything that would break a correct client — removing or renaming a field, making an optional field required, ` +
          `narrowing a type, changing the meaning of a code — goes into a new major version (${code(next)}), served side by side with ${code(current)}.`,
      ].join('\n'),
      '## Deprecation',
      'A deprecated operation keeps working until its sunset date and says so on every response: `Deprecation` (RFC 9745) carries ' +
        'the date it was deprecated and `Sunset` (RFC 8594) the date after which it may stop answering. Deprecated operations are marked in this reference and in the contract (`deprecated: true`).',
      deprecated.length > 0
        ? table(
            ['Operation', 'Endpoint'],
            deprecated.map((op) => [operationLink(ctx, op, op.operationId), code(`${op.method} ${op.path}`)]),
          )
        : `No operation of version ${code(model.version)} is deprecated.`,
      '## Stable identifiers',
      'Operation ids and error `code`s are stable within a major version (the SDK and your error handling depend on them). ' +
        'Human-readable text (`title`, `detail`, descriptions) may be improved at any time: do not parse it.',
    );
  },
};
