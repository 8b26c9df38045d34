# -*- coding: utf-8 -*-
# Runs the envbuild CLI for the collection's modules and reads its --json contract
# (schemas/json/*.schema.json in envbuild, format 1). Nothing here parses envbuild's text output.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shlex

JSON_FORMAT = 1


def common_argument_spec():
    """The options every module of the collection takes: which manifest, which environments, which envbuild."""
    return dict(
        manifest=dict(type='path', required=True),
        envs=dict(type='list', elements='str', default=[]),
        executable=dict(type='str', default='envbuild'),
    )


def envbuild_command(module):
    """The envbuild command as an argv prefix: `executable` may be `envbuild`, a path, or
    `node /opt/envbuild/bin/envbuild.js` (split like a shell would, never run through one)."""
    executable = module.params['executable']
    argv = shlex.split(executable)
    if not argv:
        module.fail_json(msg='executable is empty')
    if os.path.sep not in argv[0]:
        found = module.get_bin_path(argv[0], required=False)
        if found is None:
            module.fail_json(msg='envbuild command %r not found on PATH of %s' % (argv[0], os.uname()[1]),
                             hint='install envbuild (npm install -g envbuild) or set executable: to its path')
        argv[0] = found
    return argv


def run_envbuild(module, args, expect_codes=(0,)):
    """Runs `envbuild ARGS --json` and returns (rc, document, stderr). A document that is not
    envbuild's JSON (an old envbuild, a crash) fails the task with what was printed."""
    argv = envbuild_command(module) + list(args) + ['--json']
    rc, out, err = module.run_command(argv, environ_update={'CI': 'true', 'NO_COLOR': '1'})
    try:
        doc = json.loads(out) if out.strip() else None
    except ValueError:
        doc = None
    if doc is None or not isinstance(doc, dict):
        module.fail_json(msg='envbuild %s failed (exit %d): %s' % (args[0], rc, (err or out).strip()), rc=rc, cmd=argv)
    if doc.get('format') != JSON_FORMAT:
        module.fail_json(msg='envbuild printed JSON format %r; this collection reads format %d: upgrade the collection or envbuild'
                         % (doc.get('format'), JSON_FORMAT), rc=rc)
    if 'error' in doc:
        fail_with_error(module, doc['error'], err, rc, argv)
    if rc not in expect_codes:
        module.fail_json(msg='envbuild %s exited %d: %s' % (args[0], rc, err.strip()), rc=rc, cmd=argv, envbuild=doc)
    return rc, doc, err


def fail_with_error(module, error, stderr, rc, argv):
    """envbuild's located diagnostics (`file:line:col: message`) as the task's msg, never a traceback."""
    lines = []
    for d in error.get('diagnostics') or []:
        loc = d.get('location') or {}
        where = '%s:%s:%s: ' % (loc.get('file'), loc.get('line'), loc.get('col')) if loc.get('file') else ''
        lines.append(where + d.get('message', '') + (' (hint: %s)' % d['hint'] if d.get('hint') else ''))
    msg = '\n'.join(lines) if lines else error.get('message', stderr.strip())
    if not lines and error.get('hint'):
        msg += '\nhint: ' + error['hint']
    module.fail_json(msg=msg, rc=rc, cmd=argv, error=error)


def selection_args(module):
    args = [module.params['manifest']]
    for name in module.params.get('envs') or []:
        args += ['--env', name]
    return args


def plan_diff(plan):
    """The plan as Ansible's before/after text: one line per environment (and part), so
    `--diff` shows what would be created, changed or removed, with the reasons."""
    before, after = [], []
    for env in plan.get('environments', []):
        action = env.get('action')
        name = env.get('name')
        if action != 'create':
            before.append('%s: present (%s)' % (name, env.get('path')))
        if action != 'remove':
            state = 'present' if action == 'no-op' else action
            after.append('%s: %s (%s)' % (name, state, env.get('path')))
            if action != 'no-op':
                after.extend('  %s' % r for r in env.get('reasons', []))
        for part in env.get('parts', []):
            if part.get('action') != 'no-op':
                after.append('  part %s (%s): %s' % (part.get('name'), part.get('recipe'), part.get('action')))
                after.extend('    %s' % r for r in part.get('reasons', []))
    return {'before': '\n'.join(before) + '\n', 'after': '\n'.join(after) + '\n',
            'before_header': plan.get('manifest', 'manifest') + ' (on disk)',
            'after_header': plan.get('manifest', 'manifest') + ' (declared)'}
