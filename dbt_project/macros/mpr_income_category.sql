{#-
    MaPrimeRénov' income category from the revenu fiscal de référence and the ceilings of the
    household's size and region (seeds/maprimerenov_thresholds.csv, docs/crm-contract.md): at
    or below the bleu ceiling 'bleu' (très modestes), else at or below jaune 'jaune' (modestes),
    else at or below violet 'violet' (intermédiaires), else 'rose' (supérieurs). NULL when
    unknown.
-#}
{% macro mpr_income_category(income, bleu_max, jaune_max, violet_max) -%}
    case
        when {{ income }} is null or {{ bleu_max }} is null then null
        when {{ income }} <= {{ bleu_max }} then 'bleu'
        when {{ income }} <= {{ jaune_max }} then 'jaune'
        when {{ income }} <= {{ violet_max }} then 'violet'
        else 'rose'
    end
{%- endmacro %}
