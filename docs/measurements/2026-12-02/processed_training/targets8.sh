# the shipped detector on rule v13's fresh sets (an eighth pair: digital 96001158/59, film 98000029/30): issue 12 and 18 targets per set (metrics.json of each scan)
bash "$(dirname "$0")/../background_relative/targets.sh" /work/scratch/s24/fresh base_dig_96001158 base_dig_96001159 base_dig02_96001158 base_dig02_96001159 base_film_98000029 base_film_98000030 base_ms_96001158 base_ms_96001159
