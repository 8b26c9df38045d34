export type { CopyEntry, DirEntry, EntryDigest, FileEntry, Observed, SymlinkEntry, TreeEntry } from './tree.js';
export {
  renderPyvenvCfg,
  renderVenvLayout,
  venvPaths,
  VENV_GITIGNORE,
  type VenvLayoutOptions,
  type VenvPaths,
} from './venv.js';
export {
  assertActivationContext,
  renderActivationEntries,
  renderActivationScripts,
  renderBashActivate,
  renderCshActivate,
  renderFishActivate,
  renderNuActivate,
  renderPowerShellActivate,
  type ActivationContext,
  type ActivationScript,
} from './activate/index.js';
export {
  CLASSIC_SOURCE_MTIME,
  chooseLayout,
  classicPaths,
  compileClassicSite,
  renderClassicLayout,
  type ClassicLayoutOptions,
  type ClassicPaths,
  type CompileOptions,
  type LayoutChoice,
} from './classic.js';
export { pyStringLiteral, renderClassicSitePy, type ClassicSiteInput } from './classic-site-py.js';
