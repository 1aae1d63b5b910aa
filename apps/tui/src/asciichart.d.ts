/** Types for asciichart 1.5 (the package ships none): only what chart.ts uses. */
declare module 'asciichart' {
  interface PlotConfig {
    height?: number;
    min?: number;
    max?: number;
    offset?: number;
    padding?: string;
    format?: (x: number, i: number) => string;
    colors?: (string | undefined)[];
  }
  const asciichart: {
    plot(series: number[] | number[][], config?: PlotConfig): string;
    blue: string;
    green: string;
    yellow: string;
    magenta: string;
    cyan: string;
    red: string;
  };
  export default asciichart;
}
