#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: envbuild developers. MIT License.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: check
short_description: Audit the isolation of envbuild environments; fail when one leaks or drifts
version_added: "0.1.0"
description:
  - Runs C(envbuild check) on the target host. It asks each environment's own interpreter what
    it can import and classifies every name as standard library, the environment's own,
    allowlisted system package, or a leak, and reports drift from what envbuild built
    (dangling links after a system upgrade, changed versions, edited files).
  - The task fails when any environment is not clean, and returns the audit as data either way.
  - Changes nothing, so it runs the same in check mode.
options:
  manifest:
    description: Path of the manifest on the target host.
    type: path
    required: true
  envs:
    description: Limit the audit to these environments.
    type: list
    elements: str
    default: []
  executable:
    description:
      - The envbuild command to run (a name on C(PATH), a path, or a command with arguments).
    type: str
    default: envbuild
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
author:
  - envbuild developers
'''

EXAMPLES = r'''
- name: Prove the environments see exactly what they declare
  envbuild.envbuild.check:
    manifest: /srv/app/env.yaml
  register: audit

- name: Show the leaks without failing the play
  envbuild.envbuild.check:
    manifest: /srv/app/env.yaml
  ignore_errors: true
  register: audit
'''

RETURN = r'''
clean:
  description: Whether every environment is isolated as declared and matches what envbuild built.
  returned: always
  type: bool
environments:
  description: >-
    Per environment, C(envbuild check --json) (format 1): C(name), C(path), C(mode), C(clean),
    C(problems) (leaks, dangling links, drift) and C(audit) (every importable name, classified).
  returned: always
  type: list
  elements: dict
problems:
  description: "Every problem found, as C(environment: problem) lines."
  returned: always
  type: list
  elements: str
  sample: ["sealed: LEAK other_pkg from /opt/site (via leak.pth)"]
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.envbuild.envbuild.plugins.module_utils.envbuild_cli import (
    common_argument_spec,
    run_envbuild,
    selection_args,
)


def main():
    module = AnsibleModule(
        argument_spec=common_argument_spec(),
        supports_check_mode=True,
    )
    # check exits 1 when an environment is not clean: that is a finding, not a failure to run.
    rc, doc, _err = run_envbuild(module, ['check'] + selection_args(module), expect_codes=(0, 1))
    environments = doc.get('environments', [])
    problems = ['%s: %s' % (e.get('name'), p) for e in environments for p in e.get('problems', [])]
    result = dict(changed=False, clean=bool(doc.get('clean')), environments=environments, problems=problems)
    if not result['clean']:
        bad = [e.get('name') for e in environments if not e.get('clean')]
        module.fail_json(msg='envbuild check: %s not clean:\n%s' % (', '.join(bad), '\n'.join(problems)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
