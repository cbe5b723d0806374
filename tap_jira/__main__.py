from tap_jira.cli import main

main()
