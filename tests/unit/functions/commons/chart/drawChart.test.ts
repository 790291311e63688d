/** The in-process drawing: a Chart.js config to a PNG of the asked size, on its background, in DejaVu Sans. */
import { GlobalFonts } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration } from 'chart.js';
import { describe, expect, it } from 'vitest';
import { summarizeErrors } from '../../../../../functions/commons/chart/absoluteErrors.js';
import { type CanvasOptions, drawChart, FONT_FAMILY } from '../../../../../functions/commons/chart/drawChart.js';
import { histogram } from '../../../../../functions/commons/chart/histogram.js';
import { countLabel, errorHistogramChart } from '../../../../../functions/commons/chart/histogramChart.js';
import { readPngHeader, topLeftPixel } from '../../../../helpers/png.js';

const ERRORS = [0.5, 1.5, 2, 2.5, 3, 7, 12.25, 40];

/** The histogram plot draws (Cyrillic titles), afresh for each drawing: Chart.js keeps listeners on its arrays. */
function histogramChart(): ChartConfiguration<'bar'> {
  return errorHistogramChart(histogram(ERRORS, 20), summarizeErrors(ERRORS));
}

function canvas(overrides: Partial<CanvasOptions> = {}): CanvasOptions {
  return { width: 500, height: 300, devicePixelRatio: 1, backgroundColor: 'white', ...overrides };
}

describe('drawChart', () => {
  it('returns a PNG of the requested size for a bar chart', async () => {
    // Act
    const png = await drawChart(histogramChart(), canvas({ width: 640, height: 480 }));

    // Assess
    expect(readPngHeader(png)).toMatchObject({ width: 640, height: 480 });
  });

  it('scales the PNG by devicePixelRatio', async () => {
    // Act
    const [double, oneAndHalf] = await Promise.all([
      drawChart(histogramChart(), canvas({ width: 400, height: 250, devicePixelRatio: 2 })),
      drawChart(histogramChart(), canvas({ width: 401, height: 251, devicePixelRatio: 1.5 })),
    ]);

    // Assess
    expect(readPngHeader(double)).toMatchObject({ width: 800, height: 500 });
    expect(readPngHeader(oneAndHalf)).toMatchObject({ width: 601, height: 376 });
  });

  it('draws text in DejaVu Sans, regular and bold, from the dejavu-fonts-ttf package, whatever the system has', () => {
    // Prepare, Act: importing drawChart registers the fonts and sets Chart.js up once per process

    // Assess
    const dejavu = GlobalFonts.families.find((family) => family.family === FONT_FAMILY);
    expect(dejavu?.styles.map((style) => style.weight)).toEqual(expect.arrayContaining([400, 700]));
    expect(Chart.defaults.font.family).toBe(`'${FONT_FAMILY}', sans-serif`);
  });

  it('frees the Chart.js instance when drawing fails half-way', async () => {
    // Prepare: a scale type nobody registered, which Chart.js throws on once the instance exists
    const chart = {
      type: 'bar',
      data: { datasets: [] },
      options: { scales: { x: { type: 'no-such-scale' } } },
    } as unknown as ChartConfiguration;
    const instancesBefore = Object.keys(Chart.instances).length;

    // Act
    const result = drawChart(chart, canvas());

    // Assess
    await expect(result).rejects.toThrow(/no-such-scale/);
    expect(Object.keys(Chart.instances)).toHaveLength(instancesBefore);
  });

  it('paints the background colour under the chart', async () => {
    // Act
    const [red, transparent, white] = await Promise.all(
      ['rgb(255, 0, 0)', 'transparent', 'white'].map((backgroundColor) => drawChart(histogramChart(), canvas({ backgroundColor }))),
    );

    // Assess
    expect(topLeftPixel(red as Buffer)).toEqual([255, 0, 0, 255]);
    expect(topLeftPixel(transparent as Buffer)[3]).toBe(0);
    expect(topLeftPixel(white as Buffer)).toEqual([255, 255, 255, 255]);
  });
});

describe("the histogram's y-axis labels", () => {
  it('write whole counts as Intl.NumberFormat en-US does', () => {
    const counts = [0, 1, 12, 999, 1_000, 12_345, 100_000, 999_999, 1_234_567, 2 ** 53 - 1];

    expect(counts.map(countLabel)).toEqual(counts.map((count) => new Intl.NumberFormat('en-US').format(count)));
  });

  it.each([[[3, 0, 1]], [[120_000, 95_001, 7, 0]], [[2_500_000, 1_250_000]]])(
    "draw the same PNG as Chart.js's own labels (counts %j)",
    async (counts) => {
      const chart = () => errorHistogramChart({ edges: [...counts.keys(), counts.length], counts }, summarizeErrors([1]));
      const withDefault = chart();
      delete withDefault.options?.scales?.y?.ticks?.callback;

      const [ours, theirs] = [await drawChart(chart(), canvas()), await drawChart(withDefault, canvas())];

      expect(ours.equals(theirs)).toBe(true);
    },
  );
});
