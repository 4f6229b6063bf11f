// tsdown 0.23 declares Node >=22.18 and calls Promise.withResolvers (Node 22); on Node 20.19
// this is all it lacks. Loaded with `node --import` only around the build, never at run time.
Promise.withResolvers ??= function withResolvers() {
  let resolve;
  let reject;
  const promise = new this((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
