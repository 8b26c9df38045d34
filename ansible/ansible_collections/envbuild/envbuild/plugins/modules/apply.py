#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: envbuild developers. MIT License.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: apply
short_description: Build, update or destroy the Python environments an envbuild manifest declares
version_added: "0.1.0"
description:
  - Runs the envbuild CLI on the target host to make the environments declared by a manifest
    (C(env.yaml)) exist exactly as declared (I(state=present), C(envbuild apply)), or to remove
    what envbuild created for it (I(state=absent), C(envbuild destroy)).
  - Unlike M(ansible.builtin.pip), an environment can be fully isolated, see the whole system,
    or see only an allowlist of system packages (cherry-pick), and changing that setting on an
    existing environment takes effect.
  - The module reads envbuild's versioned C(--json) output (format 1), never its text.
  - Reports C(changed) exactly when envbuild changed something on disk.
  - In check mode it runs C(envbuild plan) and reports what would change without writing.
  - In diff mode it returns the plan, one line per environment and part, with the reasons.
options:
  manifest:
    description:
      - Path of the manifest on the target host. Its lock files (C(pylock.<env>.toml)) are read
        from beside it, or from the directory its C(lock-dir) names.
    type: path
    required: true
  envs:
    description:
      - Limit the run to these environments (C(--env)). All environments when omitted.
    type: list
    elements: str
    default: []
  state:
    description:
      - C(present) applies the manifest; C(absent) destroys what envbuild created for it
        (files envbuild did not create are kept and reported).
    type: str
    choices: [present, absent]
    default: present
  locked:
    description:
      - Refuse, before writing anything, when the lock files would change or this host does not
        match them (interpreter version, allowlisted system packages, hashes) (C(--locked)).
    type: bool
    default: false
  frozen:
    description:
      - Install exactly what the lock files pin, without checking them against the manifest
        (C(--frozen)).
    type: bool
    default: false
  executable:
    description:
      - The envbuild command to run, a name on C(PATH), a path, or a command with arguments such
        as C(node /opt/envbuild/bin/envbuild.js). It is split like a shell would, never run
        through one.
    type: str
    default: envbuild
  wait:
    description:
      - Wait for a concurrent envbuild run on the same manifest instead of failing (C(--wait)).
    type: bool
    default: true
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
notes:
  - envbuild and the interpreters the manifest asks for must be installed on the target host.
  - I(locked) and I(frozen) are mutually exclusive.
requirements:
  - envbuild (Node.js 20 or later) on the target host
author:
  - envbuild developers
'''

EXAMPLES = r'''
- name: Build the application's environments exactly as locked
  envbuild.envbuild.apply:
    manifest: /srv/app/env.yaml
    locked: true

- name: Only the environment that needs python3-apt
  envbuild.envbuild.apply:
    manifest: /srv/app/env.yaml
    envs: [ubuntu]

- name: Remove everything envbuild built for the manifest
  envbuild.envbuild.apply:
    manifest: /srv/app/env.yaml
    state: absent

- name: envbuild installed from a checkout
  envbuild.envbuild.apply:
    manifest: /srv/app/env.yaml
    executable: node /opt/envbuild/bin/envbuild.js
'''

RETURN = r'''
changed:
  description: Whether envbuild changed anything (in check mode, whether it would).
  returned: always
  type: bool
plan:
  description: >-
    envbuild's plan as its C(--json) output (format 1): the manifest, C(changes), and per
    environment its C(action) (create, update, replace, remove, no-op), C(reasons), C(conflicts)
    and C(parts).
  returned: always
  type: dict
  sample: {"format": 1, "command": "plan", "changes": true, "environments": [{"name": "app", "action": "create", "reasons": ["new environment"]}]}
outcomes:
  description: What each environment's execution did (not in check mode).
  returned: when not in check mode
  type: list
  elements: dict
  sample: [{"name": "app", "action": "create", "written": 17, "removed": 0, "kept": []}]
environments:
  description: Names of the environments that were (or would be) created, updated, replaced or removed.
  returned: always
  type: list
  elements: str
  sample: ["app"]
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.envbuild.envbuild.plugins.module_utils.envbuild_cli import (
    common_argument_spec,
    plan_diff,
    run_envbuild,
    selection_args,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            common_argument_spec(),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            locked=dict(type='bool', default=False),
            frozen=dict(type='bool', default=False),
            wait=dict(type='bool', default=True),
        ),
        mutually_exclusive=[('locked', 'frozen')],
        supports_check_mode=True,
    )
    p = module.params
    lock_flags = (['--locked'] if p['locked'] else []) + (['--frozen'] if p['frozen'] else [])
    select = selection_args(module)

    if module.check_mode:
        # plan writes nothing; it sees what apply (or, for absent, destroy) would do.
        args = ['plan'] + select + (['--destroy'] if p['state'] == 'absent' else lock_flags)
        rc, plan, _err = run_envbuild(module, args)
        result = dict(changed=bool(plan.get('changes')), plan=plan, environments=changed_names(plan))
        if module._diff:
            result['diff'] = plan_diff(plan)
        module.exit_json(**result)

    command = 'apply' if p['state'] == 'present' else 'destroy'
    args = [command] + select + (lock_flags if command == 'apply' else []) + (['--wait'] if p['wait'] else [])
    rc, doc, _err = run_envbuild(module, args)
    result = dict(changed=bool(doc.get('changed')), plan=plan_only(doc), outcomes=doc.get('outcomes', []),
                  environments=changed_names(doc))
    if module._diff:
        result['diff'] = plan_diff(doc)
    module.exit_json(**result)


def changed_names(plan):
    return [e['name'] for e in plan.get('environments', []) if e.get('action') != 'no-op']


def plan_only(doc):
    return dict((k, v) for k, v in doc.items() if k not in ('outcomes', 'changed', 'stateWritten'))


if __name__ == '__main__':
    main()
