from farm.entry import main

main()
