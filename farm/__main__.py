from farm.hooks.fast import main

main()
