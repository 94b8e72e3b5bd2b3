-- Issue 11: the injection model ships its own quarantine threshold (chosen for at most 1 % false positives on every
-- benign source of its data). A mailbox that has not chosen a threshold follows the installed model's (null);
-- mailboxes at the former default 0.8 had not chosen one.
alter table mailboxes alter column injection_threshold drop default;
alter table mailboxes alter column injection_threshold drop not null;
update mailboxes set injection_threshold = null where injection_threshold = 0.8;
