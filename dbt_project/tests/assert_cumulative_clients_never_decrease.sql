-- Cumulative clients to date can only grow from one month to the next (published cells).
with published as (
    select departement, month, n_persons,
        lag(n_persons) over (partition by departement order by month) as previous
    from {{ ref('mart_clients_monthly') }}
    where measure = 'clients_cumules' and not is_suppressed
)
select * from published where n_persons < previous
