#!/usr/bin/env node
// The package's `bin` (npx @switchyard-cc/server): the same server as `npm start`, configured by the environment.
import './main.ts';
