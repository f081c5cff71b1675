// tfjs-backend-cpu advertises tfjs-node on first use in Node; the repo cannot install it
// (it downloads libtensorflow), so the banner is noise in test output.
const warn = console.warn;
console.warn = (...args) => {
  if (typeof args[0] === 'string' && args[0].includes('looks like you are running TensorFlow.js in Node.js')) return;
  warn(...args);
};
