/**
 * The classic builder's state machine. The history lines and configs below are what Docker 20.10
 * (`DOCKER_BUILDKIT=0 docker build`) recorded for the same Dockerfiles on a busybox base made with
 * `docker import`, with `--build-arg HTTP_PROXY=… --build-arg Y=2`.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PATH } from '../../../src/image/build/index.js';
import type { CopyStep, RunStep } from '../../../src/image/build/index.js';
import { DevenvError } from '../../../src/errors.js';
import { HASH, buildAll, defaultArgv, historyOf } from './stage-helpers.js';

const VERIFIED = `ARG G=glob
FROM bbox:1 AS base
ARG X=1
ARG G
ENV A=1 B="two words"
ENV A 3
LABEL k=v "q"="r s"
RUN echo $X
COPY f.txt /f
WORKDIR rel
WORKDIR /abs/../w
USER 1000:1000
EXPOSE 80 443/udp
VOLUME /data ["/v2"]
SHELL ["/bin/sh", "-ec"]
STOPSIGNAL SIGTERM
CMD echo hi
ENTRYPOINT ["/bin/echo", "x\\ty"]
RUN ["echo", "exec"]
FROM base
CMD ["a"]
ENTRYPOINT e
`;

const proxy = { HTTP_PROXY: 'http://canary.invalid:3128' };

describe('StageBuilder, checked against docker build', () => {
  const [base, last] = buildAll(VERIFIED, { buildArgs: { Y: '2' }, proxyArgs: proxy });

  it('writes the history lines Docker writes', () => {
    expect(historyOf(base?.steps ?? [])).toEqual([
      '/bin/sh -c #(nop)  ARG X=1',
      '/bin/sh -c #(nop)  ARG G',
      '/bin/sh -c #(nop)  ENV A=1 B=two words',
      '/bin/sh -c #(nop)  ENV A=3',
      '/bin/sh -c #(nop)  LABEL k=v q=r s',
      '|2 G=glob X=1 /bin/sh -c echo $X',
      `/bin/sh -c #(nop) COPY ${HASH} in /f `,
      '/bin/sh -c #(nop) WORKDIR /rel',
      '/bin/sh -c #(nop) WORKDIR /abs/../w',
      '/bin/sh -c #(nop)  USER 1000:1000',
      '/bin/sh -c #(nop)  EXPOSE 443/udp 80',
      '/bin/sh -c #(nop)  VOLUME [/data [/v2]]',
      '/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]',
      '/bin/sh -ec #(nop)  STOPSIGNAL SIGTERM',
      '/bin/sh -ec #(nop)  CMD ["/bin/sh" "-ec" "echo hi"]',
      '/bin/sh -ec #(nop)  ENTRYPOINT ["/bin/echo" "x\\ty"]',
      '|2 G=glob X=1 echo exec',
    ]);
    expect(historyOf(last?.steps ?? [])).toEqual([
      '/bin/sh -ec #(nop)  CMD ["a"]',
      '/bin/sh -ec #(nop)  ENTRYPOINT ["/bin/sh" "-ec" "e"]',
    ]);
  });

  it('ends with the config Docker stored, and the probe of the last step as container_config', () => {
    const final = last?.steps.at(-1);
    expect(final?.kind === 'copy' ? undefined : final?.config).toEqual({
      Env: [DEFAULT_PATH, 'A=3', 'B=two words'],
      Cmd: ['a'],
      Entrypoint: ['/bin/sh', '-ec', 'e'],
      User: '1000:1000',
      WorkingDir: '/abs/../w',
      ExposedPorts: { '443/udp': {}, '80/tcp': {} },
      Volumes: { '/data': {}, '[/v2]': {} },
      Labels: { k: 'v', q: 'r s' },
      Shell: ['/bin/sh', '-ec'],
      StopSignal: 'SIGTERM',
      OnBuild: null,
    });
    expect(final?.kind === 'meta' ? [final.probe.WorkingDir, final.probe.Cmd] : undefined).toEqual([
      '/w',
      ['/bin/sh', '-ec', '#(nop) ', 'ENTRYPOINT ["/bin/sh" "-ec" "e"]'],
    ]);
  });

  it('gives RUN the build args and proxy in its environment but never in config, probe or history', () => {
    const run = base?.steps.find((s): s is RunStep => s.kind === 'run');
    expect(run?.argv).toEqual(['/bin/sh', '-c', 'echo $X']);
    expect(run?.env).toEqual([
      DEFAULT_PATH,
      'A=3',
      'B=two words',
      'G=glob',
      `HTTP_PROXY=${proxy.HTTP_PROXY}`,
      'X=1',
    ]);
    expect(run?.probe.Entrypoint).toBeNull();
    const everything = JSON.stringify(
      [base, last].flatMap((s) =>
        s?.steps.map((step) =>
          step.kind === 'copy'
            ? [step.config, step.probeFor(HASH)]
            : [step.config, step.probe, step.createdBy],
        ),
      ),
    );
    expect(everything).not.toContain('canary');
  });

  it('reports build args no ARG consumed, never the proxy', () => {
    expect(base?.builder.unusedBuildArgs()).toEqual(['Y']);
  });
});

describe('StageBuilder, second verified build', () => {
  it('records COPY --chown with no space before the hash, the dest as written, and |0 when only a proxy is in scope', () => {
    const [one, two] = buildAll(
      `FROM bbox:1 AS one
WORKDIR /w
COPY --chown=1:2 f.txt rel/
ADD f.txt ./r2
FROM bbox:1
COPY --from=0 /w/rel /fromstage
COPY --from=one /w/rel/f.txt /fromstage2
EXPOSE 80 80/tcp 8080-8081
VOLUME ["/x", "/y"]
CMD ["c"]
ENTRYPOINT ["e"]
ENV PATH=/p:$PATH HOME=~ E=a\\ b Q='$x' R="$NOPE-\${NOPE:-d}"
USER \${NOPE:-0}
ENV http_proxy=envwins
RUN true
`,
      { buildArgs: { http_proxy: 'x' }, proxyArgs: proxy },
    );
    expect(historyOf(one?.steps ?? [])).toEqual([
      '/bin/sh -c #(nop) WORKDIR /w',
      `/bin/sh -c #(nop) COPY --chown=1:2${HASH} in rel/ `,
      `/bin/sh -c #(nop) ADD ${HASH} in ./r2 `,
    ]);
    const copies = (one?.steps ?? []).filter((s): s is CopyStep => s.kind === 'copy');
    expect(copies.map((c) => [c.add, c.sources, c.dest, c.destIsDir, c.chown])).toEqual([
      [false, ['f.txt'], '/w/rel', true, '1:2'],
      [true, ['f.txt'], '/w/r2', false, undefined],
    ]);
    expect(historyOf(two?.steps ?? []).slice(2)).toEqual([
      '/bin/sh -c #(nop)  EXPOSE 80 80/tcp 8080-8081',
      '/bin/sh -c #(nop)  VOLUME [/x /y]',
      '/bin/sh -c #(nop)  CMD ["c"]',
      '/bin/sh -c #(nop)  ENTRYPOINT ["e"]',
      '/bin/sh -c #(nop)  ENV PATH=/p:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=~ E=a b Q=$x R=-d',
      '/bin/sh -c #(nop)  USER 0',
      '/bin/sh -c #(nop)  ENV http_proxy=envwins',
      '|0 /bin/sh -c true',
    ]);
    const from = (two?.steps ?? []).filter((s): s is CopyStep => s.kind === 'copy').map((c) => c.from);
    expect(from).toEqual([{ stage: 0 }, { stage: 0 }]);
    const run = two?.steps.at(-1) as RunStep;
    expect(run.env.filter((e) => /proxy/i.test(e))).toEqual([
      'http_proxy=envwins',
      `HTTP_PROXY=${proxy.HTTP_PROXY}`,
    ]);
    expect(run.config.ExposedPorts).toEqual({ '80/tcp': {}, '8080/tcp': {}, '8081/tcp': {} });
  });
});

describe('CMD and ENTRYPOINT', () => {
  const entrypoints = [
    ['no ENTRYPOINT', ''],
    ['ENTRYPOINT exec_entry p1_entry', 'ENTRYPOINT exec_entry p1_entry\n'],
    ['ENTRYPOINT ["exec_entry", "p1_entry"]', 'ENTRYPOINT ["exec_entry", "p1_entry"]\n'],
  ] as const;
  const cmds = [
    ['no CMD (base has none)', '', null],
    ['no CMD (base has one)', '', ['base_cmd']],
    ['CMD ["exec_cmd", "p1_cmd"]', 'CMD ["exec_cmd", "p1_cmd"]\n', null],
    ['CMD exec_cmd p1_cmd', 'CMD exec_cmd p1_cmd\n', null],
  ] as const;
  // Docker's table (dockerfile reference, "Understand how CMD and ENTRYPOINT interact"), plus the
  // base-image row: an ENTRYPOINT drops a Cmd the stage did not set.
  const expected: Record<string, string> = {
    'no CMD (base has none)|no ENTRYPOINT': '',
    'no CMD (base has none)|ENTRYPOINT exec_entry p1_entry': '/bin/sh|-c|exec_entry p1_entry',
    'no CMD (base has none)|ENTRYPOINT ["exec_entry", "p1_entry"]': 'exec_entry|p1_entry',
    'no CMD (base has one)|no ENTRYPOINT': 'base_cmd',
    'no CMD (base has one)|ENTRYPOINT exec_entry p1_entry': '/bin/sh|-c|exec_entry p1_entry',
    'no CMD (base has one)|ENTRYPOINT ["exec_entry", "p1_entry"]': 'exec_entry|p1_entry',
    'CMD ["exec_cmd", "p1_cmd"]|no ENTRYPOINT': 'exec_cmd|p1_cmd',
    'CMD ["exec_cmd", "p1_cmd"]|ENTRYPOINT exec_entry p1_entry':
      '/bin/sh|-c|exec_entry p1_entry|exec_cmd|p1_cmd',
    'CMD ["exec_cmd", "p1_cmd"]|ENTRYPOINT ["exec_entry", "p1_entry"]': 'exec_entry|p1_entry|exec_cmd|p1_cmd',
    'CMD exec_cmd p1_cmd|no ENTRYPOINT': '/bin/sh|-c|exec_cmd p1_cmd',
    'CMD exec_cmd p1_cmd|ENTRYPOINT exec_entry p1_entry':
      '/bin/sh|-c|exec_entry p1_entry|/bin/sh|-c|exec_cmd p1_cmd',
    'CMD exec_cmd p1_cmd|ENTRYPOINT ["exec_entry", "p1_entry"]':
      'exec_entry|p1_entry|/bin/sh|-c|exec_cmd p1_cmd',
  };
  const cases = cmds.flatMap(([cmdName, cmd, baseCmd]) =>
    entrypoints.flatMap(([epName, ep]) => [
      [`${cmdName}|${epName}`, 'CMD first', `${cmd}${ep}`, baseCmd] as const,
      [`${cmdName}|${epName}`, 'ENTRYPOINT first', `${ep}${cmd}`, baseCmd] as const,
    ]),
  );

  it.each(cases)('%s (%s)', (key, _order, body, baseCmd) => {
    const base = {
      Env: ['PATH=/bin'],
      Cmd: baseCmd === null ? null : [...baseCmd],
      Entrypoint: null,
      User: '',
      WorkingDir: '',
    };
    const [stage] = buildAll(`FROM base\nLABEL x=y\n${body}`, { base });
    expect(defaultArgv(stage?.config ?? base).join('|')).toBe(expected[key]);
  });

  it('an ENTRYPOINT keeps a CMD set earlier in the stage, not one from the base or another stage', () => {
    const [, second] = buildAll('FROM b AS one\nCMD ["c"]\nFROM one\nENTRYPOINT ["e"]\n', {
      base: { Env: [], Cmd: null, Entrypoint: null, User: '', WorkingDir: '' },
    });
    expect(second?.config.Cmd).toBeNull();
  });
});

describe('ARG scoping', () => {
  it('global ARGs reach FROM only, until a stage declares them', () => {
    const [stage] = buildAll('ARG V=1\nFROM x\nENV A=$V\nARG V\nENV B=$V\n');
    expect(stage?.config.Env).toEqual([DEFAULT_PATH, 'A=', 'B=1']);
  });

  it('a --build-arg overrides the default only once declared, and ENV shadows it', () => {
    const [stage] = buildAll('FROM x\nENV A=$V\nARG V=d\nENV B=$V\nENV V=env\nRUN echo\n', {
      buildArgs: { V: 'cli' },
    });
    expect(stage?.config.Env).toEqual([DEFAULT_PATH, 'A=', 'B=cli', 'V=env']);
    const run = stage?.steps.at(-1) as RunStep;
    expect(run.createdBy).toBe('/bin/sh -c echo');
    expect(run.env).toEqual([DEFAULT_PATH, 'A=', 'B=cli', 'V=env']);
  });

  it('puts the declared args in scope, sorted, before the RUN argv; a declared proxy arg is recorded', () => {
    const [stage] = buildAll('FROM x\nARG b=2 a=1\nARG HTTP_PROXY\nRUN ["x"]\n', { proxyArgs: proxy });
    expect(stage?.steps.at(-1)?.kind === 'run' && stage.steps.at(-1)).toMatchObject({
      createdBy: `|3 HTTP_PROXY=${proxy.HTTP_PROXY} a=1 b=2 x`,
    });
  });

  it('proxy args are usable without ARG in expansion but not persisted', () => {
    const [stage] = buildAll('FROM x\nWORKDIR /$HTTP_PROXY\n', { proxyArgs: { HTTP_PROXY: 'p' } });
    expect(stage?.config.WorkingDir).toBe('/p');
  });

  it('lists a build arg as unused only when no ARG, global or in the stage, names it', () => {
    const [stage] = buildAll('ARG G\nFROM x\nARG S\n', {
      buildArgs: { G: '1', S: '2', U: '3', HTTP_PROXY: 'p' },
    });
    expect(stage?.builder.unusedBuildArgs()).toEqual(['U']);
  });
});

describe('other instructions', () => {
  it('ENV replaces a name in place and appends a new one; expansion sees the values before the line', () => {
    const [stage] = buildAll('FROM x\nENV A=1 B=2\nENV B=3 C=$B A=$B\n');
    expect(stage?.config.Env).toEqual([DEFAULT_PATH, 'A=2', 'B=3', 'C=2']);
  });

  it('WORKDIR joins relative paths and creates the normalised directory', () => {
    const [stage] = buildAll('FROM x\nWORKDIR a\nWORKDIR b/../c/\nCOPY f ./sub/\nCOPY g ..\n');
    const [a, c, copy, up] = stage?.steps ?? [];
    expect(a).toMatchObject({ kind: 'workdir', path: '/a', createdBy: '/bin/sh -c #(nop) WORKDIR /a' });
    expect(c).toMatchObject({ kind: 'workdir', path: '/a/c' });
    expect(copy).toMatchObject({ kind: 'copy', dest: '/a/c/sub', destIsDir: true });
    expect(up).toMatchObject({ kind: 'copy', dest: '/a', destIsDir: false });
  });

  it('starts scratch with Docker’s default PATH and nothing else', () => {
    const [stage] = buildAll('FROM scratch\nLABEL a=b\n');
    expect(stage?.config).toMatchObject({
      Env: [DEFAULT_PATH],
      Cmd: null,
      Entrypoint: null,
      User: '',
      WorkingDir: '',
    });
  });

  it('keeps a base PATH, clears OnBuild, and carries ArgsEscaped as the base had it', () => {
    const base = {
      Env: ['PATH=/x'],
      Cmd: ['sh'],
      Entrypoint: null,
      User: '',
      WorkingDir: '',
      ArgsEscaped: true,
    };
    const [stage] = buildAll('FROM b\nRUN a\n', { base });
    const run = stage?.steps[0] as RunStep;
    expect(run.config).toMatchObject({ Env: ['PATH=/x'], ArgsEscaped: true, OnBuild: null });
    expect(run.probe).toMatchObject({ ArgsEscaped: true, Cmd: ['/bin/sh', '-c', 'a'], Entrypoint: null });
  });

  it('records --chmod in the probe so a changed mode misses the cache', () => {
    const [stage] = buildAll('FROM x\nCOPY --chmod=755 a /b\n');
    const copy = stage?.steps[0] as CopyStep;
    expect(copy.chmod).toBe(0o755);
    expect(copy.createdByFor(HASH)).toBe(`/bin/sh -c #(nop) COPY --chmod=0755 ${HASH} in /b `);
  });

  it('resolves --from to an earlier stage by name (any case) or index, else an image', () => {
    const [, second] = buildAll(
      'FROM x AS Build\nFROM y\nCOPY --from=BUILD a b\nCOPY --from=0 a b\nCOPY --from=busybox:1 a b\n',
    );
    expect(second?.steps.map((s) => (s.kind === 'copy' ? s.from : undefined))).toEqual([
      { stage: 0 },
      { stage: 0 },
      { image: 'busybox:1' },
    ]);
  });
});

describe('errors name FILE:LINE and say what to change', () => {
  it.each([
    ['FROM x AS a\nCOPY --from=a f /f\n', 'Dockerfile:2: --from=a refers to the current stage'],
    ['FROM x\nCOPY --from=1 f /f\nFROM y AS one\n', 'Dockerfile:2: --from=1 refers to a later stage'],
    [
      'FROM x\nCOPY --from=later f /f\nFROM y AS later\n',
      'Dockerfile:2: --from=later refers to a later stage',
    ],
    ['FROM x\n\nADD https://example.com/f /f\n', 'Dockerfile:3: ADD of a URL'],
    ['FROM x\nCOPY a b /dir\n', 'Dockerfile:2: COPY with more than one source needs a destination directory'],
    ['FROM x\nCOPY a\n', 'Dockerfile:2: COPY needs a source and a destination'],
    ['FROM x\nCOPY --chmod=u+x a b\n', 'Dockerfile:2: --chmod=u+x is not an octal mode'],
    ['FROM x\nEXPOSE 80/xyz\n', 'Dockerfile:2: invalid port "80/xyz"'],
    ['FROM x\nSHELL /bin/bash -c\n', 'Dockerfile:2: SHELL needs a JSON array'],
    ['FROM x\nENV A\n', 'Dockerfile:2: ENV A has no value'],
    ['FROM x\nLABEL a=1 b\n', 'Dockerfile:2: LABEL: "b" is not NAME=value'],
    ['FROM x\nWORKDIR "$A\n', 'Dockerfile:2: WORKDIR "\\"$A": unexpected end of statement'],
    ['FROM x\nRUN\n', 'Dockerfile:2: RUN needs a command'],
    ['FROM x\nSTOPSIGNAL 9 9\n', 'Dockerfile:2: STOPSIGNAL takes one value'],
  ])('%j', (text, message) => {
    let error: unknown;
    try {
      buildAll(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DevenvError);
    expect((error as DevenvError).message.startsWith(message)).toBe(true);
    expect((error as DevenvError).hint).toMatch(/\w/);
  });

  it('refuses a base image with ONBUILD triggers at its FROM line', () => {
    const base = { Env: [], Cmd: null, Entrypoint: null, User: '', WorkingDir: '', OnBuild: ['RUN make'] };
    expect(() => buildAll('\nFROM onbuild\nRUN x\n', { base })).toThrow(
      'Dockerfile:2: the base image has ONBUILD triggers',
    );
  });
});
