# the shipped detector on rule v15's fresh sets (a tenth pair: digital 96001162/63, film 98000033/34)
bash /work/main/docs/measurements/2026-12-02/background_relative/targets.sh /work/scratch/s27/fresh base_dig_96001162 base_dig_96001163 base_dig02_96001162 base_dig02_96001163 base_film_98000033 base_film_98000034 base_ms_96001162 base_ms_96001163
