/**
 * smart_resize sizes computed by CPython from the reference formula (bench/reference/smart_resize.py prints
 * exactly these tables; coordinates.test.ts checks that it still does). Tests that play the model use
 * `pySmartResize` to place their answers, so they never rely on genlab's own smartResize.
 */

/** [height, width, h_bar, w_bar] with the default budget (min 100*28*28, max 16384*28*28 pixels). */
export const PY_DEFAULT: [number, number, number, number][] = [
  [800, 1280, 812, 1288], [720, 1280, 728, 1288], [1080, 1920, 1092, 1932], [1440, 2560, 1428, 2548],
  [1600, 2560, 1596, 2548], [2160, 3840, 2156, 3836], [1200, 1920, 1204, 1932], [768, 1024, 756, 1036],
  [600, 800, 588, 812], [900, 1440, 896, 1428], [720, 1302, 728, 1288], [1302, 720, 1288, 728],
  [770, 1330, 784, 1344], [742, 1302, 728, 1288], [1022, 1302, 1008, 1288], [994, 1358, 1008, 1344],
  [1050, 1414, 1064, 1400], [70, 70, 280, 280], [14, 2800, 28, 2800], [100, 100, 280, 280], [224, 224, 280, 280],
  [28, 28, 280, 280], [2880, 5120, 2688, 4760], [4320, 7680, 2688, 4760], [1960, 1302, 1960, 1288],
  [798, 1274, 784, 1288], [1234, 567, 1232, 560], [1366, 768, 1372, 756], [768, 1366, 756, 1372],
  [812, 375, 812, 364], [2532, 1170, 2520, 1176], [10, 1999, 28, 3976], [3000, 3000, 2996, 2996],
  [1200, 1600, 1204, 1596],
];

/** The same with min_pixels = 4*28*28, max_pixels = 1350*28*28 (a smaller server-side budget). */
export const PY_SMALL: [number, number, number, number][] = [
  [800, 1280, 812, 1288], [720, 1280, 728, 1288], [1080, 1920, 756, 1344], [1440, 2560, 756, 1344],
  [1600, 2560, 812, 1288], [2160, 3840, 756, 1344], [1200, 1920, 812, 1288], [768, 1024, 756, 1036],
  [600, 800, 588, 812], [900, 1440, 812, 1288], [720, 1302, 728, 1288], [1302, 720, 1288, 728],
];

/** Python's smart_resize of a screenshot (default budget), from the table; an unknown size is an error. */
export function pySmartResize(height: number, width: number): { height: number; width: number } {
  const row = PY_DEFAULT.find(([h, w]) => h === height && w === width);
  if (!row) throw new Error(`no Python smart_resize for ${height}x${width}: add the size to bench/reference/smart_resize.py and its output to test/agent/smart-resize-table.ts`);
  return { height: row[2], width: row[3] };
}
