export { BarAggregator, type BarAggregatorOptions, type BarAggregatorCounts, type BarEvents } from './aggregator';
export { BarResampler, resampleBars, type BarResamplerOptions, type ResampleEvents } from './resampler';
