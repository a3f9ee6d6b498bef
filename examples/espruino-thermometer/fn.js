// The thermometer's edge function (template service `fn`): a running mean and an alert.
function handle(input, state) {
  state.n = (state.n || 0) + 1;
  state.sum = (state.sum || 0) + input.celsius;
  return { n: state.n, avg: Math.round(state.sum / state.n * 10) / 10, alert: input.celsius > 40 };
}
