# the shipped detector on rule v14's fresh sets (a ninth pair: digital 96001160/61, film 98000031/32)
bash "$(dirname "$0")/targets.sh" /work/scratch/s25/fresh base_dig_96001160 base_dig_96001161 base_dig02_96001160 base_dig02_96001161 base_film_98000031 base_film_98000032 base_ms_96001160 base_ms_96001161
