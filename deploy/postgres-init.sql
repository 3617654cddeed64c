-- Run once by the postgres image when its volume is empty: the tracker store's database next to the housing one.
CREATE DATABASE tracker OWNER tenantline;
