// `npm test` runs unit then integration tests from the compiled tree (dist/). Test files named on
// the command line (`npx mocha dist/test/unit/x.test.js`) run alone instead of being added to these.
const named = process.argv.slice(2).some((a) => !a.startsWith('-') && a.endsWith('.js'));
module.exports = {
  spec: named ? [] : ['dist/test/unit/**/*.test.js', 'dist/test/integration/**/*.test.js'],
  timeout: 60000,
  reporter: './test/support/summary-reporter.cjs',
  exit: true,
};
