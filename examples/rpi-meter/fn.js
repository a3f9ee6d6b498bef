// The meter's edge function (template service `fn`): consumption since the last reading and the
// average power between readings, kept per device in `state`.
function handle(input, state) {
  var now = Date.now();
  var out = { n: (state.n || 0) + 1, kwh: input.kwh, delta: null, kw: null };
  if (state.kwh !== undefined) {
    out.delta = Math.round((input.kwh - state.kwh) * 1000) / 1000;
    var h = (now - state.at) / 3600000;
    out.kw = h > 0 ? Math.round(out.delta / h * 1000) / 1000 : null;
  }
  state.n = out.n; state.kwh = input.kwh; state.at = now;
  return out;
}
