{#- The cells of mart_aid_dossiers_quarterly, unprotected: by scheme and MaPrimeRénov' income category. -#}
{{ aid_dossier_cells('quarter') }}
