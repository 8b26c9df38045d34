/**
 * Runs inside the probed interpreter. It must work on Python 2.7 and 3.x alike and import
 * nothing that `-S` left out except `site` itself (imported for its functions only: with -S
 * on Python 3 importing it does not run `main()`). It prints one JSON object.
 */
export const PROBE_SCRIPT = String.raw`
import sys, os, json
try:
    import sysconfig
except ImportError:
    sysconfig = None
B = '/__envbuild_base__'
def rel(p):
    return os.path.relpath(p, B)
def scheme():
    names = sysconfig.get_scheme_names() if sysconfig else ()
    name = 'venv' if 'venv' in names else ('posix_prefix' if os.name == 'posix' else 'nt')
    v = {'base': B, 'platbase': B, 'installed_base': B, 'installed_platbase': B}
    if sysconfig:
        p = sysconfig.get_paths(scheme=name, vars=v)
    else:
        p = {'purelib': B + '/lib/python%d.%d/site-packages' % sys.version_info[:2]}
        p['platlib'] = p['purelib']
        p['scripts'] = B + '/bin'
        p['include'] = B + '/include/python%d.%d' % sys.version_info[:2]
    return dict((k, rel(p[k])) for k in ('purelib', 'platlib', 'scripts', 'include'))
base_prefix = getattr(sys, 'real_prefix', getattr(sys, 'base_prefix', sys.prefix))
base_exec_prefix = getattr(sys, 'real_prefix', getattr(sys, 'base_exec_prefix', sys.exec_prefix))
# Python 2's site runs main() when imported: read the path before it adds site-packages,
# and keep it from importing sitecustomize/usercustomize (Ubuntu's apport hook and the like):
# a None entry in sys.modules makes their import fail, which site ignores.
path0 = [p for p in sys.path if p]
if sys.version_info[0] < 3:
    sys.modules.setdefault('sitecustomize', None)
    sys.modules.setdefault('usercustomize', None)
import site
try:
    gsp = site.getsitepackages([base_prefix, base_exec_prefix])
except TypeError:
    gsp = site.getsitepackages()
try:
    user_site = site.getusersitepackages()
except Exception:
    user_site = None
if sysconfig:
    stdlib = sysconfig.get_paths()['stdlib']
    platstdlib = sysconfig.get_paths()['platstdlib']
    soabi = sysconfig.get_config_var('SOABI')
else:
    stdlib = platstdlib = os.path.dirname(os.__file__)
    soabi = None
try:
    import importlib.machinery
    suffixes = list(importlib.machinery.EXTENSION_SUFFIXES)
except ImportError:
    import imp
    suffixes = [s[0] for s in imp.get_suffixes() if s[2] == imp.C_EXTENSION]
impl = getattr(sys, 'implementation', None)
import platform
# For wheel tags (packaging.tags): the platform, the C library and free threading.
try:
    libc = os.confstr('CS_GNU_LIBC_VERSION').split()
except (AttributeError, ValueError, OSError):
    libc = None
wheel_platform = {
    'platform': sysconfig.get_platform() if sysconfig else None,
    'glibc': libc[1] if libc and len(libc) == 2 and libc[0] == 'glibc' else None,
    'gilDisabled': bool(sysconfig.get_config_var('Py_GIL_DISABLED')) if sysconfig else False,
    'maxUnicode': sys.maxunicode,
}
print(json.dumps({
    'executable': os.path.realpath(sys.executable),
    'version': platform.python_version(),
    'versionInfo': list(sys.version_info[:3]),
    'implementation': impl.name if impl else 'cpython',
    'prefix': sys.prefix,
    'basePrefix': base_prefix,
    'execPrefix': sys.exec_prefix,
    'baseExecPrefix': base_exec_prefix,
    'stdlib': stdlib,
    'platstdlib': platstdlib,
    'venvScheme': scheme(),
    'globalSitePackages': list(gsp),
    'userSite': user_site,
    'sysPath': path0,
    'soabi': soabi,
    'extensionSuffixes': suffixes,
    'cacheTag': impl.cache_tag if impl else None,
    'platform': sys.platform,
    'pointerBits': 64 if sys.maxsize > 2 ** 32 else 32,
    'supportsVenv': sys.version_info >= (3, 3),
    'wheelPlatform': wheel_platform,
}))
`;
