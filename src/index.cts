// The entry point of CommonJS users: require('@switchyard-cc/server'). The package is ES modules, which Node loads
// with require() from 20.19 and 22.12 on (require(esm)), the versions `engines` asks for; nothing in the graph below
// index.ts awaits at top level, which require(esm) could not load.
import api = require('./index.ts');
export = api;
