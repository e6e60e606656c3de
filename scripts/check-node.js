// Run before `npm start` and `npm test`: an older Node.js stops here with one line, not later with a stack trace.
// Plain ES5-era JavaScript on purpose, so that any Node.js can run it.
var engines = require('../package.json').engines.node;
var needed = Number(/\d+/.exec(engines)[0]);
var major = Number(process.versions.node.split('.')[0]);
if (major < needed) {
  console.error(
    'lungcheck needs Node.js ' +
      engines +
      ' (Node 26 recommended); this is ' +
      process.version +
      '. Install it with `nvm install 26` (the README says how), then run the command again.',
  );
  process.exit(1);
}
