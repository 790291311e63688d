// Files bundled as text: esbuild's "text" loader (serverless.yml), vite's `?raw` in the tests.
declare module '*?raw' {
  const text: string;
  export default text;
}
