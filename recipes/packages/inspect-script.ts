/**
 * The Python program that tells the packages recipe what is installed and what the declared
 * requirements need, run by the environment's own interpreter after pip, so that markers
 * (`python_version < "3.8"`, `sys_platform == ...`, extras) are evaluated by the interpreter
 * they are about, with the `packaging` that pip itself vendors (present in every pip since 8).
 *
 * It reads metadata only (dist-info METADATA / egg-info PKG-INFO + requires.txt, direct_url.json,
 * .egg-link files) over the environment's `sys.path` — the path pip sees, so a global
 * distribution exposed to a cherry-pick environment counts as present — and writes one JSON
 * object to the file named in its input. Python 2.7 to 3.13: no f-strings, no pathlib, no importlib.metadata.
 *
 * Kept as a string, not a .py file beside this one, because `tsc` copies no data files into dist.
 */
export const INSPECT_SCRIPT = String.raw`
import io, json, os, re, sys
from email.parser import HeaderParser

args = json.loads(sys.argv[1])
from pip._vendor.packaging.requirements import Requirement
try:
    from urllib.parse import unquote
except ImportError:
    from urllib import unquote

def canon(name):
    return re.sub(r'[-_.]+', '-', name).lower()

def text(path):
    with io.open(path, encoding='utf-8', errors='replace') as f:
        return f.read()

def headers(path):
    return HeaderParser().parsestr(text(path))

def real(path):
    return os.path.normcase(os.path.realpath(path))

def egg_requires(egg_info):
    out, section = [], ''
    path = os.path.join(egg_info, 'requires.txt')
    if not os.path.isfile(path):
        return out
    for line in text(path).splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        if line.startswith('['):
            section = line.strip('[]')
            continue
        extra, _, marker = section.partition(':')
        conds = []
        if marker:
            conds.append('(' + marker + ')')
        if extra:
            conds.append('extra == "' + extra + '"')
        out.append(line + ('; ' + ' and '.join(conds) if conds else ''))
    return out

site = real(args['site'])
here = real(os.getcwd())
dists = {}
problems = []

def add(meta_dir, location, in_env, link=None):
    base = os.path.basename(meta_dir)
    try:
        if base.endswith('.dist-info'):
            info = headers(os.path.join(meta_dir, 'METADATA'))
            requires = info.get_all('Requires-Dist') or []
        elif os.path.isdir(meta_dir):
            info = headers(os.path.join(meta_dir, 'PKG-INFO'))
            requires = egg_requires(meta_dir)
        else:
            info = headers(meta_dir)
            requires = []
    except (IOError, OSError) as e:
        problems.append('%s: %s' % (meta_dir, e))
        return
    name = info.get('Name')
    if not name:
        return
    key = canon(name)
    if key in dists:
        return
    url, editable = None, False
    direct = os.path.join(meta_dir, 'direct_url.json')
    if os.path.isfile(direct):
        try:
            data = json.loads(text(direct))
            url = data.get('url')
            editable = bool((data.get('dir_info') or {}).get('editable'))
        except ValueError:
            pass
    dists[key] = {
        'name': key, 'display': name, 'version': info.get('Version') or '',
        'metadata': base, 'location': location, 'inEnv': in_env,
        'requires': requires, 'url': url, 'editable': editable or link is not None, 'link': link,
    }

for entry in sys.path:
    if not entry or not os.path.isdir(entry) or real(entry) == here:
        continue
    in_env = real(entry) == site
    names = sorted(os.listdir(entry))
    for n in names:
        if n.endswith('.dist-info') or n.endswith('.egg-info'):
            add(os.path.join(entry, n), entry, in_env)
    if in_env:
        for n in names:
            if n.endswith('.egg-link'):
                target = text(os.path.join(entry, n)).splitlines()[0].strip()
                target = os.path.join(entry, target)
                if os.path.isdir(target):
                    for m in sorted(os.listdir(target)):
                        if m.endswith('.egg-info'):
                            add(os.path.join(target, m), target, True, os.path.join(entry, n))

def parse(line):
    try:
        return Requirement(line)
    except Exception:
        return None

def applies(req, extra):
    return req.marker is None or req.marker.evaluate({'extra': extra})

def needs(dist, extras):
    out = []
    for line in dist['requires']:
        req = parse(line)
        if req is None:
            problems.append('%s: unreadable requirement %r' % (dist['display'], line))
            continue
        if any(applies(req, e) for e in [''] + sorted(extras)):
            out.append((canon(req.name), set(req.extras)))
    return out

def applying_needs(dist):
    # Only requirements that apply: one behind an extra nobody asked for (setuptools'
    # "pip; extra == 'testing'") must not keep a distribution installed.
    out = set()
    for line in dist['requires']:
        req = parse(line)
        if req is not None and applies(req, ''):
            out.add(canon(req.name))
    return sorted(out)

roots, unresolved = [], []
for spec in args['requirements']:
    req = parse(spec)
    if req is None:
        unresolved.append(spec)
    elif applies(req, ''):
        roots.append((canon(req.name), set(req.extras)))

for item in args['paths']:
    want = real(item['path'])
    found = None
    for d in dists.values():
        if d['url'] and d['url'].startswith('file://'):
            if real(unquote(d['url'][len('file://'):])) == want:
                found = d
        elif d['link'] and (real(d['location']) == want or real(d['location']).startswith(want + os.sep)):
            found = d
        if found:
            break
    if found:
        roots.append((found['name'], set(item.get('extras') or [])))
    elif item.get('name'):
        roots.append((canon(item['name']), set(item.get('extras') or [])))
    else:
        unresolved.append(item['path'])

closure, missing = {}, set()
queue = list(roots)
while queue:
    name, extras = queue.pop()
    if name in closure and extras <= closure[name]:
        continue
    dist = dists.get(name)
    if dist is None:
        missing.add(name)
        continue
    closure[name] = closure.get(name, set()) | extras
    queue.extend(needs(dist, closure[name]))

for d in dists.values():
    d['needs'] = applying_needs(d) if d['inEnv'] else []
    del d['requires']

# Into a file, not stdout: the runner shows a program's output lines as progress.
with io.open(args['out'], 'w', encoding='utf-8') as f:
  f.write(json.dumps({
    'dists': sorted(dists.values(), key=lambda d: d['name']),
    'roots': sorted(set(r[0] for r in roots)),
    'closure': sorted(closure),
    'missing': sorted(missing),
    'unresolved': unresolved,
    'problems': problems,
  }, ensure_ascii=True) + u'')
`;
