enum _PlaceholderKeyportServer {}
