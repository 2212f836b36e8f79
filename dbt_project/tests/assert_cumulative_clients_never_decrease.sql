-- Clients to date can only grow from one given period to the next (published cells).
with published as (
    select departement, month, n_clients_to_date,
        lag(n_clients_to_date) over (partition by departement order by month) as previous
    from {{ ref('mart_clients_monthly') }}
    where n_clients_to_date is not null
)
select * from published where n_clients_to_date < previous
