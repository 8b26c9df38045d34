/**
 * What envbuild knows about a base interpreter, from one probe run with `-I -S` (`-E -s -S`
 * on Python 2). Everything a layout or the isolation code needs must be here, so that
 * building an environment spawns no further Python.
 */
export interface PythonInfo {
  /** Real path of the binary: symlinks and pyenv shims resolved. */
  readonly executable: string;
  /** `3.11.2`, `2.7.18`, `3.13.0rc1` as `platform.python_version()` prints it. */
  readonly version: string;
  readonly versionInfo: readonly [major: number, minor: number, micro: number];
  /** `sys.implementation.name` (`cpython`, `pypy`); `cpython` on Python 2. */
  readonly implementation: string;
  /** sys.prefix, sys.base_prefix... as the base interpreter reports them. */
  readonly prefix: string;
  readonly basePrefix: string;
  readonly execPrefix: string;
  readonly baseExecPrefix: string;
  /** Standard library directories (`stdlib`, `platstdlib`), absolute. */
  readonly stdlib: string;
  readonly platstdlib: string;
  /**
   * Paths of an environment rooted at `base`, relative to it, from sysconfig's `venv` scheme
   * where the interpreter has one (3.11+), else `posix_prefix`. Debian's default scheme points
   * at /usr/local, which is why the scheme is chosen explicitly.
   */
  readonly venvScheme: {
    readonly purelib: string;
    readonly platlib: string;
    readonly scripts: string;
    readonly include: string;
  };
  /** `site.getsitepackages()` for the base prefixes: the global directories, in path order. */
  readonly globalSitePackages: readonly string[];
  /** The user site directory, whether or not it exists. */
  readonly userSite: string | null;
  /** `sys.path` with `-I -S`: the standard library only. */
  readonly sysPath: readonly string[];
  /** e.g. `cpython-311-x86_64-linux-gnu`; null where the interpreter has none (Python 2). */
  readonly soabi: string | null;
  /** Suffixes of importable extension modules, e.g. `.cpython-311-x86_64-linux-gnu.so`, `.abi3.so`, `.so`. */
  readonly extensionSuffixes: readonly string[];
  /** `sys.implementation.cache_tag` (`cpython-311`); null on Python 2. */
  readonly cacheTag: string | null;
  readonly platform: string;
  /** 64 or 32. */
  readonly pointerBits: number;
  /** Whether the interpreter understands pyvenv.cfg (PEP 405: CPython 3.3+). */
  readonly supportsVenv: boolean;
  /**
   * What wheel tags depend on beyond the version (see `src/install/tags.ts`). Optional so that
   * hand-written infos in tests stay valid; the probe always reports it.
   */
  readonly wheelPlatform?: WheelPlatform;
}

export interface WheelPlatform {
  /** `sysconfig.get_platform()`: `linux-x86_64`, `linux-aarch64`, `macosx-11.0-arm64`; null on Python 2 without sysconfig. */
  readonly platform: string | null;
  /** glibc's version (`2.36`) from `os.confstr('CS_GNU_LIBC_VERSION')`; null on musl and elsewhere. */
  readonly glibc: string | null;
  /** A free-threaded build (`Py_GIL_DISABLED`, the `t` in `cp313t`). */
  readonly gilDisabled: boolean;
  /** `sys.maxunicode`: 1114111 on wide (UCS-4) builds, the `u` of Python 2's `cp27mu`. */
  readonly maxUnicode: number;
}

/** `major.minor`, the part of a version that names site-packages and ABI. */
export function majorMinor(info: Pick<PythonInfo, 'versionInfo'>): string {
  return `${info.versionInfo[0]}.${info.versionInfo[1]}`;
}
