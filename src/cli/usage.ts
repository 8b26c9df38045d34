export const USAGE = `envbuild — build isolated Python environments from a declarative manifest

Usage:
  envbuild <command> [MANIFEST] [options]

Commands:
  apply      make the environments on disk match the manifest
  plan       show what apply would do, and why, without changing anything
  validate   check the manifest and find its interpreters; changes nothing
  destroy    remove what envbuild created for the manifest (user files are kept)
  check      audit isolation: what each environment can import, leaks, and drift
             (exit 0 only when every environment is clean)
  pythons    list the Python interpreters envbuild can find

MANIFEST defaults to ./env.yaml.

Options:
  --env NAME            limit to environment NAME (repeatable)
  --json                machine-readable output (plan, apply, destroy, validate, check, pythons),
                        described by schemas/json/<command>.schema.json (docs/json.md)
  --detailed-exitcode   plan: exit 2 when changes are pending, 0 when none
  --destroy             plan: show what destroy would remove
  --wait                apply/destroy: wait for a concurrent apply instead of failing
  --jobs N              apply/destroy: environments built at once (default and at most:
                        the number of cores; 1 applies them one by one, in order)
  --debug               print stack traces for every error
  -h, --help            show this help
  -v, --version         print the version

Exit codes: 0 success, 1 failure (including an invalid manifest), 2 bad usage,
130 interrupted (state is saved; run the command again to finish).
`;
