{#-
    French phone number in E.164 (+33 and nine digits) when it is one, else NULL. Accepts the
    spellings people type: '06 12 34 56 78', '06.12.34.56.78', '+33 6 12 34 56 78', '0033612345678'.
-#}
{% macro normalise_phone(expression) -%}
    case
        when regexp_matches(regexp_replace({{ expression }}, '[\s.()/-]', '', 'g'), '^0[1-9][0-9]{8}$')
            then '+33' || substr(regexp_replace({{ expression }}, '[\s.()/-]', '', 'g'), 2)
        when regexp_matches(regexp_replace({{ expression }}, '[\s.()/-]', '', 'g'), '^\+33[1-9][0-9]{8}$')
            then regexp_replace({{ expression }}, '[\s.()/-]', '', 'g')
        when regexp_matches(regexp_replace({{ expression }}, '[\s.()/-]', '', 'g'), '^0033[1-9][0-9]{8}$')
            then '+' || substr(regexp_replace({{ expression }}, '[\s.()/-]', '', 'g'), 3)
    end
{%- endmacro %}
