export { type Postbox, readVersion, type StartOptions, startPostbox } from "./main.ts";
export { type Config, ConfigError, loadConfig } from "./platform/config.ts";
