/**
 * The wasm-bindgen `web` build of the engine (`bindings/wasm/pkg-web/cachekit_wasm.js`), as the
 * `cachekit/web` bundle imports it. Only the initialiser is typed here; the module's exports
 * are the {@link Addon} surface `loader-web.ts` reads them as.
 */
declare module 'cachekit-wasm-web' {
  /** What the engine's `.wasm` can be given as. */
  export type WasmSource =
    | URL
    | string
    | Request
    | Response
    | BufferSource
    | WebAssembly.Module
    | Promise<URL | string | Request | Response | BufferSource | WebAssembly.Module>;
  /** Compiles (unless given a `WebAssembly.Module`) and instantiates the engine once. */
  export default function init(options?: { module_or_path?: WasmSource }): Promise<unknown>;
}
