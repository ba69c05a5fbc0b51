"""The recipients' claim pages: public, no session; a reward's page by its link's token."""
