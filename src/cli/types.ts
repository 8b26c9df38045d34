/** Output sinks, injectable so tests and embedders can capture what a person would see. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}
