/**
 * Runs inside an ENVIRONMENT's interpreter, started normally (site.py runs, `.pth` files are
 * processed; only `-E` so that the caller's PYTHONPATH does not count as a leak of the
 * environment). It must work on Python 2.7 and 3.x and import nothing outside the standard
 * library: no importlib.metadata, no pkg_resources (which would itself be a global package).
 *
 * It prints one JSON object:
 *   version, executable, prefix, basePrefix, path (sys.path without the script's ''),
 *   builtins (sys.builtin_module_names),
 *   entries: one per sys.path entry, in order: {path, kind: dir|zip|missing|other,
 *     modules: [{name, kind: module|package|namespace}]}, as Python's path finder would see
 *     them (extension suffixes of THIS interpreter: a cpython-311 module is not importable on 3.12),
 *   distributions: [{name, version, entry, metadata, link, dangling}] from *.dist-info and
 *     *.egg-info found in the path entries.
 */
export const AUDIT_SCRIPT = String.raw`
import sys, os, json, re
try:
    from importlib.machinery import all_suffixes
    SUFFIXES = list(all_suffixes())
except ImportError:
    import imp
    SUFFIXES = [s[0] for s in imp.get_suffixes()]
SUFFIXES.sort(key=len, reverse=True)
IDENT = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
NAMESPACES = sys.version_info >= (3, 3)

def module_name(fn):
    for s in SUFFIXES:
        if fn.endswith(s):
            n = fn[:-len(s)]
            if IDENT.match(n):
                return n
    return None

def is_package(d):
    try:
        names = os.listdir(d)
    except OSError:
        return False
    for n in names:
        if n.startswith('__init__.') and module_name(n) == '__init__':
            return True
    return False

def scan_dir(d):
    out = {}
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return []
    for fn in names:
        p = os.path.join(d, fn)
        if os.path.isdir(p):
            # __pycache__ is a directory of bytecode, never something a program imports.
            if not IDENT.match(fn) or fn in out or fn == '__pycache__':
                continue
            if is_package(p):
                out[fn] = 'package'
            elif NAMESPACES:
                out[fn] = 'namespace'
        else:
            n = module_name(fn)
            if n and n != '__init__' and out.get(n) != 'package':
                out[n] = 'module'
    return [{'name': k, 'kind': out[k]} for k in sorted(out)]

def scan_other(entry):
    import pkgutil
    out = []
    try:
        for item in pkgutil.iter_modules([entry]):
            name, ispkg = item[1], item[2]
            out.append({'name': name, 'kind': 'package' if ispkg else 'module'})
    except Exception:
        pass
    return out

HEADER = re.compile(r'^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$')
def read_core(p):
    name = version = None
    try:
        f = open(p, 'rb')
        try:
            data = f.read(65536).decode('utf-8', 'replace')
        finally:
            f.close()
    except (IOError, OSError):
        return None, None
    for line in data.splitlines():
        if not line.strip():
            break
        m = HEADER.match(line)
        if not m:
            continue
        k = m.group(1).lower()
        if k == 'name' and name is None:
            name = m.group(2).strip()
        elif k == 'version' and version is None:
            version = m.group(2).strip()
    return name, version

def distributions(d):
    out = []
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return out
    for fn in names:
        if not (fn.endswith('.dist-info') or fn.endswith('.egg-info')):
            continue
        p = os.path.join(d, fn)
        link = os.path.islink(p)
        dangling = link and not os.path.exists(p)
        if os.path.isdir(p):
            core = os.path.join(p, 'METADATA' if fn.endswith('.dist-info') else 'PKG-INFO')
        else:
            core = p
        name, version = (None, None) if dangling else read_core(core)
        out.append({'name': name, 'version': version, 'entry': d, 'metadata': fn,
                    'link': os.readlink(p) if link else None, 'dangling': dangling})
    return out

entries = []
dists = []
path = [p for p in sys.path if p]
for p in path:
    if os.path.isdir(p):
        entries.append({'path': p, 'kind': 'dir', 'modules': scan_dir(p)})
        dists.extend(distributions(p))
    elif os.path.isfile(p):
        entries.append({'path': p, 'kind': 'zip', 'modules': scan_other(p)})
    elif not os.path.exists(p):
        entries.append({'path': p, 'kind': 'missing', 'modules': []})
    else:
        entries.append({'path': p, 'kind': 'other', 'modules': scan_other(p)})

sys.stdout.write(json.dumps({
    'version': '%d.%d.%d' % tuple(sys.version_info[:3]),
    'executable': sys.executable,
    'prefix': sys.prefix,
    'basePrefix': getattr(sys, 'real_prefix', getattr(sys, 'base_prefix', sys.prefix)),
    'path': path,
    'builtins': sorted(sys.builtin_module_names),
    'entries': entries,
    'distributions': dists,
}))
sys.stdout.write('\n')
`;

/** What AUDIT_SCRIPT prints. */
export interface AuditScriptOutput {
  readonly version: string;
  readonly executable: string;
  readonly prefix: string;
  readonly basePrefix: string;
  readonly path: readonly string[];
  readonly builtins: readonly string[];
  readonly entries: ReadonlyArray<{
    readonly path: string;
    readonly kind: 'dir' | 'zip' | 'missing' | 'other';
    readonly modules: ReadonlyArray<{ readonly name: string; readonly kind: 'module' | 'package' | 'namespace' }>;
  }>;
  readonly distributions: ReadonlyArray<{
    readonly name: string | null;
    readonly version: string | null;
    readonly entry: string;
    readonly metadata: string;
    readonly link: string | null;
    readonly dangling: boolean;
  }>;
}
