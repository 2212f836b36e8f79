{#- The cells of mart_aid_dossiers_monthly, unprotected: dossiers by scheme and month of submission. -#}
{{ aid_dossier_cells('month') }}
