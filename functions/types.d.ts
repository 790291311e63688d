// The data set is bundled as text (esbuild's "text" loader; a vitest plugin in tests).
declare module '*.csv' {
  const text: string;
  export default text;
}
