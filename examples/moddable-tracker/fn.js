// The tracker's edge function (template service `fn`): the trail of cells this device was seen
// in while served by this edge, and whether the last report moved it.
function handle(input, state) {
  var cell = input.plmn + '/' + input.tac + '/' + input.ci;
  state.trail = state.trail || [];
  var moved = state.trail.length > 0 && state.trail[state.trail.length - 1] !== cell;
  if (state.trail.length === 0 || moved) state.trail.push(cell);
  if (state.trail.length > 20) state.trail.shift();
  return { n: state.trail.length, cell: cell, moved: moved, roaming: input.roaming === true };
}
