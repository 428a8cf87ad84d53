// `npm test` runs unit then integration tests from the compiled tree (dist/).
module.exports = {
  spec: ['dist/test/unit/**/*.test.js', 'dist/test/integration/**/*.test.js'],
  timeout: 60000,
  reporter: './test/support/summary-reporter.cjs',
  exit: true,
};
