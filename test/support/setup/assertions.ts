// Every test of every tier must assert something with expect(): a test that only awaits cannot fail.
beforeEach(() => {
  expect.hasAssertions();
});
